#!/usr/bin/env bash
# Install the edge daemon as a systemd service (idempotent; run as root from a checkout).
#
#   sudo scripts/install.sh              install or upgrade, enable and start
#   sudo scripts/install.sh --uninstall  stop and remove the service and /opt/edge;
#                                        keeps /etc/edge and /var/lib/edge (data)
#   sudo scripts/install.sh --uninstall --purge   ... and deletes config and data too
#
# Layout: code and venv in /opt/edge, config in /etc/edge (cameras.yaml, edge.env with the
# secrets), state in /var/lib/edge (database, models, face crops when enabled), user `edge`.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX=/opt/edge ETC=/etc/edge STATE=/var/lib/edge UNIT=/etc/systemd/system/edge.service
uninstall=0 purge=0
for arg in "$@"; do
  case "$arg" in
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

if [ "$uninstall" = 1 ]; then
  systemctl disable --now edge 2>/dev/null || true
  rm -f "$UNIT"
  systemctl daemon-reload 2>/dev/null || true
  rm -rf "$PREFIX"
  if [ "$purge" = 1 ]; then
    rm -rf "$ETC" "$STATE"
    userdel edge 2>/dev/null || true
    echo "removed the service, its config and its data"
  else
    echo "removed the service; kept $ETC and $STATE (use --purge to delete them)"
  fi
  exit 0
fi

id edge >/dev/null 2>&1 || useradd --system --home-dir "$STATE" --shell /usr/sbin/nologin \
  --user-group edge
# USB cameras (/dev/video*) and GPU render nodes (/dev/dri/renderD*) belong to these groups;
# add only the ones this box has (the unit names none, so a missing group cannot stop it).
for group in video render; do
  getent group "$group" >/dev/null && usermod -a -G "$group" edge
done
install -d -m 0755 "$PREFIX"
install -d -o root -g edge -m 0750 "$ETC"
install -d -o edge -g edge -m 0750 "$STATE" "$STATE/models"

# Code: a copy of this checkout (no .git, no venv, no local data).
tar -C "$SRC" --exclude=.git --exclude=.venv --exclude=var --exclude=models -cf - . \
  | tar -C "$PREFIX" -xf -
VENV="$PREFIX/.venv" bash "$PREFIX/scripts/setup_venv.sh"
"$PREFIX/.venv/bin/edge" model fetch --models-dir "$STATE/models"
chown -R edge:edge "$STATE/models"

# Config and secrets are never overwritten on upgrade.
if [ ! -f "$ETC/cameras.yaml" ]; then
  sed -e "s#^models_dir: .*#models_dir: $STATE/models#" "$SRC/config/cameras.yaml" \
    > "$ETC/cameras.yaml"
  chgrp edge "$ETC/cameras.yaml"; chmod 0640 "$ETC/cameras.yaml"
  echo "wrote $ETC/cameras.yaml: edit cameras, lines and sinks, then: systemctl restart edge"
fi
if [ ! -f "$ETC/edge.env" ]; then
  install -o root -g edge -m 0640 "$SRC/systemd/edge.env.example" "$ETC/edge.env"
fi
"$PREFIX/.venv/bin/edge" config validate "$ETC/cameras.yaml"

install -m 0644 "$SRC/systemd/edge.service" "$UNIT"
systemctl daemon-reload
systemctl enable edge
systemctl restart edge
echo "edge is running: systemctl status edge; journalctl -u edge -f; $PREFIX/.venv/bin/edge doctor -c $ETC/cameras.yaml"

"""Assets room: offline model weights and demo media from package registries, checksummed."""

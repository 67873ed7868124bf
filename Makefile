# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CONFIG  ?= config/demo.yaml
DATA    ?= ../shared/data
PETS    := $(DATA)/counting/pets09_s2l1

.PHONY: setup models media run test test-unit lint eval bench soak clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup_venv.sh
	bash scripts/setup_venv.sh
	touch $@

models: setup
	$(BIN)/edge model fetch --models-dir models
	$(BIN)/edge model export --format onnx --model person --config config/demo.yaml

media: setup
	$(BIN)/edge media fetch --target var/media

run: models media
	@mkdir -p var; [ -s var/api-token ] || (umask 077; $(BIN)/python -c \
	  'import secrets; print(secrets.token_urlsafe(24))' > var/api-token)
	@echo "console token (log in with it): var/api-token"
	EDGE_API_TOKEN="$${EDGE_API_TOKEN:-$$(cat var/api-token)}" $(BIN)/edge run --config $(CONFIG)

test: models media
	bash scripts/test_services.sh
	$(BIN)/python -m pytest -q tests

test-unit: setup
	$(BIN)/python -m pytest -q tests/unit

lint: setup
	$(BIN)/ruff check edge scripts tests
	$(BIN)/ruff format --check edge scripts tests || true

eval: models media
	$(BIN)/python scripts/eval_counting.py --config $(CONFIG) --model person \
	  --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt \
	  --line 384 0 384 576 --line 0 300 768 300 --line 0 400 768 400
	# 40 random lines from each of four seeds: counter and tracker settings chosen on the
	# 80 even lines, reported on the 80 odd ones and the three lines above; every error
	# explained under var/eval/counting
	$(BIN)/python scripts/eval_counting.py --config $(CONFIG) --model person \
	  --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt \
	  --line 384 0 384 576 --line 0 300 768 300 --line 0 400 768 400 \
	  --random-lines 40 --seed 7 3 5 11 --choose --explain var/eval/counting
	# the same lines when inference cannot keep up with the camera: analysed frames 1, 1, 1
	# or 4 apart (a slow pass of the loop now and then), every third and every sixth frame,
	# as today and as before (one tracker step an update, plain overlap, counter settings
	# in analysed frames)
	for gaps in "1 1 1 4" 3 6; do for before in "" "--tracking predict_skipped=false \
	    --tracking gap_buffer=0 --counter gap_scaled=false"; do \
	  $(BIN)/python scripts/eval_counting.py --config $(CONFIG) --model person \
	    --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt --random-lines 40 \
	    --seed 7 3 5 11 --gaps $$gaps $$before || exit 1; done; done
	# a slower camera (every 2nd, 3rd, 6th frame of the video, at 7/K fps): the counter's
	# windows as times (today) and in the camera's frames (before: scale 1)
	for k in 2 3 6; do for before in "" "--counter frames_at_fps=$$($(BIN)/python -c "print(7 / $$k)")"; do \
	  $(BIN)/python scripts/eval_counting.py --config $(CONFIG) --model person \
	    --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt --random-lines 40 \
	    --seed 7 3 5 11 --camera-every $$k $$before || exit 1; done; done
	# played at its rate: the loop analyses what this box keeps up with, as for a live
	# camera (2 min each), today and as before
	for before in "" "--tracking predict_skipped=false --tracking gap_buffer=0 \
	    --counter gap_scaled=false"; do \
	  $(BIN)/python scripts/eval_counting.py --config $(CONFIG) --model person \
	    --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt \
	    --line 384 0 384 576 --line 0 300 768 300 --line 0 400 768 400 \
	    --random-lines 40 --seed 7 3 5 11 --realtime $$before || exit 1; done
	# the same, with the rest of the demo running beside it (the street camera, its vehicle
	# model, plate reading, face identity): the plate workers below the loop's priority
	# (default) and as before (the loop's priority, ONNX Runtime on 2 threads); the person
	# boxes re-drawn from crops (default) and by the refiner on the whole frame, as before
	for before in "" "--set anpr.worker_nice=0 --set anpr.threads=2" \
	    "--set models.0.refine.crop=null --set tracking.high_conf_threshold=0.3"; do \
	  $(BIN)/python scripts/eval_counting.py --config $(CONFIG) \
	    --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt \
	    --line 384 0 384 576 --line 0 300 768 300 --line 0 400 768 400 \
	    --random-lines 40 --seed 7 3 5 11 --realtime --with-rest pets $$before || exit 1; done
	# the refiner only near lines (models[].refine.near): accuracy and frames refined per
	# value, chosen on the same even lines, reported on the odd ones and the three above
	$(BIN)/python scripts/eval_refine_near.py --config $(CONFIG) --model person \
	  --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt \
	  --line 384 0 384 576 --line 0 300 768 300 --line 0 400 768 400 \
	  --random-lines 40 --seed 7 3 5 11 --near 0.5 1 1.5 2
	# door lines: 20 lines per seed along the borders of three regions of interest inside
	# PETS' annotated area (even lines choose, odd ones report), with today's counter
	# (border_crossing, handover) and without both; errors under var/eval/edge
	$(BIN)/python scripts/eval_edge_lines.py --config $(CONFIG) --model person \
	  --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt --edge-lines 20 --seed 7 3 5 11 \
	  --explain var/eval/edge
	$(BIN)/python scripts/eval_edge_lines.py --config $(CONFIG) --model person \
	  --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt --edge-lines 20 --seed 7 3 5 11 \
	  --counter border_crossing=false --counter handover=false
	# the person detector itself: recall and false boxes against the annotated boxes, by
	# input size (every 5th frame)
	$(BIN)/python scripts/eval_detector.py --config $(CONFIG) --model person \
	  --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt --imgsz 640 960
	$(BIN)/python scripts/eval_faces.py --data $(DATA)/faces
	$(BIN)/python scripts/eval_face_gate.py --data $(DATA)/faces
	$(BIN)/python scripts/eval_identity_policy.py --config $(CONFIG) \
	  --video $(PETS)/vtest.avi --gt $(PETS)/gt.txt --seeds 3
	$(BIN)/python scripts/eval_anpr.py --data $(DATA)/anpr --engines rapidocr \
	  --localisers platedet text
	# EasyOCR takes 1.4-2.5 s per image here: a fixed sample of 40 crops and 40 photos,
	# beside RapidOCR with each recogniser.
	$(BIN)/python scripts/eval_anpr.py --data $(DATA)/anpr --engines easyocr rapidocr \
	  --recognisers ppocrv6 ppocrv4 --localisers platedet text --limit 40
	$(BIN)/python scripts/eval_anpr_video.py --data $(DATA)/anpr_video

bench: models media
	# int8 for CPUs with VNNI/AMX, calibrated on another clip than the one measured
	$(BIN)/edge model export --format onnx-int8 --model person --config $(CONFIG) \
	  --calibration var/media/bikes.mp4
	$(BIN)/python scripts/bench.py --config $(CONFIG) --frames 200 --cameras 1 2 4 \
	  --also-format onnx-int8 --viewers 0 4
	# cameras per box with and without the motion gate (2 busy PETS cameras + idle scenes)
	$(BIN)/python scripts/bench_gate.py --config $(CONFIG) --busy 2
	# the whole daemon live: frames each camera's lines see with the plate workers below the
	# loop's priority (default), at its priority, also on 2 threads (before: ONNX Runtime's
	# default, every core of the 2-core box the README measured), and with plate reading off
	$(BIN)/python scripts/bench_live.py --config $(CONFIG) --seconds 90 --variant "" \
	  --variant anpr.worker_nice=0 --variant "anpr.worker_nice=0,anpr.threads=2" \
	  --variant anpr.enabled=false
	$(BIN)/python scripts/bench_api.py --config $(CONFIG) --calls 200
	$(BIN)/python scripts/bench_api.py --config $(CONFIG) --calls 200 --identity
	bash scripts/test_services.sh
	$(BIN)/python scripts/bench_sync.py --events 20000 --batch 200 1000

soak: models media
	$(BIN)/python scripts/soak.py --config $(CONFIG) --minutes 30 --cameras 4

clean:
	rm -rf var .pytest_cache .ruff_cache

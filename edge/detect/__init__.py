"""Detect room: detectors (ultralytics ``.pt``, ONNX, OpenVINO, TensorRT engine) with device
choice and batched predict, format choice and export, INT8 quantisation, and the map of
model classes onto canonical ones."""

"""API room: the FastAPI app served on a thread inside the daemon: the legacy
``/api/process`` route, bearer-protected ``/api/enroll-employee``, read-only status routes."""

"""Identity room: face step and gate, local gallery, enrolment (cloud backends next)."""

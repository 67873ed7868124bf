"""Identity room: face crop and quality gate, per-track cache and ask policy, backends (the
local gallery and AWS Rekognition) behind call budgets and a circuit breaker, enrolment."""

"""The saga engine every long operation runs on: typed plans, steps as named functions with a retry
policy each, a deadline per saga, compensation on failure, and resume after a crash.

- :mod:`.record`: the columns a saga's table shares (:class:`SagaRecord`), and its cause.
- :mod:`.definition`: a saga's plan model, steps and endings (:class:`Saga`, :class:`Step`, :class:`Plan`).
- :mod:`.policy`: retry policies, declared per step.
- :mod:`.run`: one saga while it runs.
- :mod:`.runner`: the runner that records, resumes and compensates.
- :mod:`.store`: where a runner keeps its sagas (a table, or memory in tests).
- :mod:`.asking`: asking another service for an operation and waiting for its outcome.
"""

from .asking import Outcomes
from .definition import Plan, Saga, Step
from .errors import RecordTaken, StepFailed, TryLater
from .policy import NO_RETRY, RetryPolicy, never, try_later
from .record import SagaRecord, aware, cause_of, envelope_of
from .run import Run
from .runner import LEASE_S, TELL_AFTER_S, SagaRunner
from .store import SagaStore, SqlSagaStore

__all__ = [
    "LEASE_S",
    "NO_RETRY",
    "TELL_AFTER_S",
    "Outcomes",
    "Plan",
    "RecordTaken",
    "RetryPolicy",
    "Run",
    "Saga",
    "SagaRecord",
    "SagaRunner",
    "SagaStore",
    "SqlSagaStore",
    "Step",
    "StepFailed",
    "TryLater",
    "aware",
    "cause_of",
    "envelope_of",
    "never",
    "try_later",
]

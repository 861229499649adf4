from enum import StrEnum


class DecisionOutAction(StrEnum):
    APPROVE = "approve"
    CANCEL = "cancel"
    REJECT = "reject"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CUSTOMER = "customer"
    OPS = "ops"

    def __str__(self) -> str:
        return str(self.value)

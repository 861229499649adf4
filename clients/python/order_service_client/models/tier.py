from enum import StrEnum


class Tier(StrEnum):
    PREMIUM = "premium"
    STANDARD = "standard"

    def __str__(self) -> str:
        return str(self.value)

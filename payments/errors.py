"""Domain errors of payments, each with a stable code that views and the API turn into words."""


class PaymentError(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        self.message = message or code
        super().__init__(f"{code}: {self.message}")

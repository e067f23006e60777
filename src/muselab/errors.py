"""Errors the studio raises for people to read; each face turns them into its own form (HTTP 4xx, CLI message)."""


class StudioError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, "field": self.field}


class InvalidInput(StudioError):
    status_code = 422


class NotFound(StudioError):
    status_code = 404


class Conflict(StudioError):
    status_code = 409


class TooLarge(StudioError):
    status_code = 413

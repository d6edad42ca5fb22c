"""API errors: every refusal is JSON ``{"error": CODE, "message": TEXT}`` with a 4xx status."""

from __future__ import annotations


class ApiError(Exception):
    """Raised anywhere in a request; the app turns it into the JSON error response."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def bad_request(message: str, error: str = "invalid_request") -> ApiError:
    return ApiError(400, error, message)


def conflict(message: str, error: str = "conflict") -> ApiError:
    return ApiError(409, error, message)

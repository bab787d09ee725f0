"""The post-mortem review's own record: its owner, the document's status, the meeting date."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import assert_never

from bot.domain.entries import Entry, ReviewDateSet, ReviewOwnerSet, ReviewStatus, ReviewStatusSet

ReviewFact = ReviewOwnerSet | ReviewStatusSet | ReviewDateSet


@dataclass(frozen=True)
class Review:
    """The review as last set; an owner of None means the commander."""

    owner: str | None = None
    status: ReviewStatus = ReviewStatus.DRAFT
    on: date | None = None


def review_of(entries: Iterable[Entry]) -> Review:
    """Return the review as the timeline last set it."""
    review = Review()
    for entry in entries:
        match entry.fact:
            case ReviewOwnerSet(user=user):
                review = Review(user, review.status, review.on)
            case ReviewStatusSet(status=status):
                review = Review(review.owner, status, review.on)
            case ReviewDateSet(on=on):
                review = Review(review.owner, review.status, on)
    return review


def review_change(fact: ReviewFact, who: Callable[[str], str]) -> str:
    """Return the change as the rest of a sentence that starts with who made it."""
    match fact:
        case ReviewOwnerSet(user=user):
            return f"made {who(user)} the post-mortem owner"
        case ReviewStatusSet(status=status):
            return f"set the post-mortem's status to {status.value}"
        case ReviewDateSet(on=on):
            return (
                f"set the post-mortem review for {on:%A, %B %d, %Y}"
                if on
                else ("cleared the post-mortem review date")
            )
        case _:
            assert_never(fact)

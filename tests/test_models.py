"""Behaviour of the shared dataclasses that renderers rely on."""

import pytest

from storage.models import Media, Page, Paper


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2406.06523.png", True),
        ("https://example.org/a/b.JPG?x=1", True),
        ("https://cdn-uploads.huggingface.co/production/uploads/x/clip.webm", False),
        ("https://cdn-uploads.huggingface.co/production/uploads/x/clip.qt", False),
        ("/avatars/0bcba885d6e0ff74e03f42faa5c86783.svg", False),
        ("https://huggingface.co/avatars/abc.png", False),
        ("https://cdn-avatars.huggingface.co/v1/production/uploads/abc.jpeg", False),
        ("ftp://example.org/a.png", False),
        ("https:/broken.png", False),
    ],
)
def test_only_absolute_non_avatar_image_files_are_embeddable(url: str, expected: bool) -> None:
    """Discord rejects or shows nothing for relative, avatar and video URLs: never embed them."""
    assert Media("image", url).is_embeddable_image is expected


def test_video_media_is_never_an_embeddable_image() -> None:
    """A video URL must not be put in an embed's image slot even if it ends in .gif."""
    assert not Media("video", "https://example.org/a.gif").is_embeddable_image


def test_page_count_rounds_up_and_is_at_least_one() -> None:
    """Paginators rely on page_count for the last-page button."""
    assert Page(items=(), total=0, limit=10).page_count == 1
    assert Page(items=(), total=10, limit=10).page_count == 1
    assert Page(items=(), total=11, limit=10).page_count == 2


def test_links_only_for_real_arxiv_ids() -> None:
    """Derived ids for non-arXiv links must not produce fake arXiv/HF links."""
    real = Paper("2406.06523", "T", "https://arxiv.org/abs/2406.06523", (), False, 1, None, ())
    other = Paper("x-0123456789ab", "T", "https://example.org/p", (), False, 1, None, ())
    assert real.pdf_url == "https://arxiv.org/pdf/2406.06523"
    assert real.hf_url == "https://huggingface.co/papers/2406.06523"
    assert other.pdf_url is None and other.hf_url is None
    assert other.abs_url == "https://example.org/p"

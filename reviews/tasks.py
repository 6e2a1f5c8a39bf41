from celery import shared_task


@shared_task
def bulletin_render(bulletin_id: int) -> None:
    """Render one bulletin version to PDF (implemented in reviews.bulletins)."""
    return None

"""The handful of long-lived objects a process needs, built from settings in one place."""

from __future__ import annotations

from dataclasses import dataclass

from docintake.settings import Settings
from docintake.storage.blobs import BlobStore, create_blob_store
from docintake.storage.database import Database
from docintake.tasks import TaskQueue, create_queue


@dataclass
class Container:
    settings: Settings
    db: Database
    blobs: BlobStore
    queue: TaskQueue

    @classmethod
    def from_settings(cls, settings: Settings, queue: TaskQueue | None = None) -> Container:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        container = cls(
            settings=settings,
            db=Database(
                settings.resolved_database_url,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
            ),
            blobs=create_blob_store(settings.resolved_blob_url, settings),
            queue=queue or create_queue(settings),
        )
        container.queue.bind(container)
        return container

    def close(self) -> None:
        self.db.dispose()

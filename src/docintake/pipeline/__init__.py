"""The processing pipeline: pages, text, splitting and understanding (see ``stages``)."""

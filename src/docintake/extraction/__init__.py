"""Document understanding after OCR: layout, classification, splitting, field and line-item
extraction, normalisation and validation."""

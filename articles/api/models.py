"""The content API's own tables: partners' keys and webhook subscribers."""

"""The stores, one module per table family; import each from its module."""

from genie_repo.stores.items import ItemStore

__all__ = ["ItemStore"]

DROP TABLE store_items_fts;
DROP VIEW store_items_fts_source;
DROP VIEW store_item_writes;
DROP TABLE store_items;
DROP TABLE store_namespaces;

DROP TABLE store_item_terms;
DROP TABLE store_items;
DROP TABLE store_namespaces;

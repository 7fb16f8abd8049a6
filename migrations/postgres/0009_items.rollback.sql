DROP TABLE store_items;
DROP TABLE store_namespaces;

-- Register the warehouse key under the name every read of warehouse files uses:
-- read_parquet(..., encryption_config = {footer_key: 'it360'}).
-- Usage (DuckDB):  set variable warehouse_key = '<64 hex characters>';  then run this file.
select case
    when getvariable('warehouse_key') is null
        then error('no warehouse key: set variable warehouse_key = ''<64 hex characters>'' first')
end;

pragma add_parquet_key('it360', to_base64(unhex(getvariable('warehouse_key'))));

-- Warehouse files by explicit list, decrypted. `offset 0` keeps filters out of the scan: DuckDB
-- 2.0 fails its AES-GCM check on any filtered scan of a pyarrow-encrypted file (see
-- sql/views.sql).
create or replace macro warehouse_parquet(files) as table
select *
from read_parquet(files, hive_partitioning = false, encryption_config = {footer_key: 'it360'})
offset 0;

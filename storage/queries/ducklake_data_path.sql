-- Where the attached DuckLake (named by the parameter) keeps its data files, as its catalog records it.
SELECT value FROM ducklake_options(?) WHERE option_name = 'data_path'

"""Export files -> a mapping profile -> canonical, validated `leads` and `spend` tables
(Parquet when streamed), with personal data removed. Imports only `base`.
"""

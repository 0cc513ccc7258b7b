/* Keeps the support library non-empty before any fake exists. */
typedef int mtv_test_support_empty;

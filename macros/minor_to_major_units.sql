{#
    Amount in the currency's minor unit (Stripe style) -> decimal amount in major units.
    The number of minor-unit digits comes from the `currencies` seed, so JPY (0 digits) stays as is.
    A currency missing from the seed yields null (a later check rejects such rows).
    Pass table-qualified columns (e.g. 'source.amount'): the lookup is a correlated subquery and an
    unqualified `currency` would resolve to the seed's own column.
    The division is done in double (exact for integer minor units) and cast back to decimal(18,2).
#}
{% macro minor_to_major_units(amount_column, currency_column) -%}
    cast(
        cast({{ amount_column }} as double) / power(
            10,
            (
                select max(currencies.minor_unit_digits)
                from {{ ref('currencies') }} as currencies
                where currencies.currency = upper({{ currency_column }})
            )
        ) as decimal(18, 2)
    )
{%- endmacro %}

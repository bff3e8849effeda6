{#
    Amount in the currency's minor unit (Stripe style) -> decimal(18,2) amount in major units.
    `minor_unit_digits` comes from the `currencies` seed (joined in the base model): 2 for USD (1999 -> 19.99),
    0 for JPY (1000 -> 1000.00). The amount is multiplied by an exact decimal literal (0.01, 1, ...), never
    divided or run through a double, so the result is exact on every engine. Digits outside 0-4 (no ISO 4217
    currency has more) or a null digit count give null.
#}
{% macro minor_to_major_units(amount_column, minor_unit_digits_column) -%}
    cast(
        cast({{ amount_column }} as decimal(38, 0)) * case {{ minor_unit_digits_column }}
            when 0 then 1
            when 1 then 0.1
            when 2 then 0.01
            when 3 then 0.001
            when 4 then 0.0001
        end
        as decimal(18, 2)
    )
{%- endmacro %}

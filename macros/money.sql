{#
    Money in the reporting currency: an amount in major units times a rate (decimal(18,8)), rounded to cents.
    Decimal times decimal stays exact on every engine; only the final cast rounds.
#}
{% macro to_reporting_currency(amount, rate) -%}
    cast({{ amount }} * {{ rate }} as decimal(18, 2))
{%- endmacro %}

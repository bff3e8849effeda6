{#
    Customer key: hash of the normalised (trimmed, lowercased) email. Raw emails never leave staging.
    Blank or null emails give a null key.
#}
{% macro email_to_customer_key(column) -%}
    case
        when nullif(lower(trim({{ column }})), '') is not null
            then {{ dbt.hash('lower(trim(' ~ column ~ '))') }}
    end
{%- endmacro %}

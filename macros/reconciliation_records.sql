{#
    One row per source record of a raw table for one reconciliation measure: the newest landed row of each
    key (a row without a key is a record of its own), placed on the day its timestamp names (lenient, else
    the landing day), with its amount in major units of its currency (none when the amount itself was
    rejected) and whether every landed row of the record was rejected. `relation` is a base model (every landed row, tagged with reject_reason);
    `currencies` the caller's `ref('currencies')`.
#}
{% macro reconciliation_records(relation, currencies, source_system, measure, key_sql, date_sql, amount_sql,
                                currency_sql, where_sql='true') -%}
    select
        '{{ source_system }}' as source_system,
        '{{ measure }}' as measure,
        record_key,
        recon_date,
        currency,
        amount,
        is_rejected
    from (
        select
            coalesce(
                raw_key,
                {{ dbt.concat(["'no-key:'", "cast(row_number() over (order by _loaded_at, recon_date) as "
                    ~ dbt.type_string() ~ ")"]) }}
            ) as record_key,
            recon_date,
            currency,
            amount,
            min(case when reject_reason is null then 0 else 1 end) over (partition by raw_key) = 1
            or raw_key is null as is_rejected,
            row_number() over (partition by raw_key order by _loaded_at desc) as newest_first
        from (
            select
                cast({{ key_sql }} as {{ dbt.type_string() }}) as raw_key,
                coalesce({{ date_sql }}, cast(_loaded_at as date)) as recon_date,
                upper(trim(raw.{{ currency_sql }})) as currency,
                {# an amount the rejection rules found unusable is not summed (the record still counts) #}
                case when raw.reject_reason = 'invalid_amount' then null else {{ amount_sql }} end as amount,
                raw.reject_reason,
                raw._loaded_at
            from {{ relation }} as raw
            left join {{ currencies }} as currencies
                on upper(trim(raw.{{ currency_sql }})) = currencies.currency
            where {{ where_sql }}
        ) as landed
    ) as versions
    where newest_first = 1 or record_key like 'no-key:%'
{%- endmacro %}

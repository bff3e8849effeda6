{#
    The tail both reconciliation record models share: the union of their per-measure CTEs (`unioned`), the
    daily rates (`fx`, from `fx_rates`) and `records`, one row per record with its id and its amount in the reporting currency
    at the rate of its reconciliation day. Emits CTE definitions; the model ends with `select * from records`.
#}
{% macro reconciliation_amounts(measure_ctes, fx_rates) -%}
unioned as (

    {% for cte in measure_ctes -%}
    select * from {{ cte }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

fx as (

    select
        rate_date,
        currency,
        rate_to_reporting
    from {{ fx_rates }}

),

records as (

    select
        {{ dbt.concat(["unioned.measure", "':'", "unioned.record_key"]) }} as reconciliation_record_id,
        unioned.*,
        {{ to_reporting_currency('unioned.amount', 'fx.rate_to_reporting') }} as amount_reporting
    from unioned
    left outer join fx on unioned.currency = fx.currency and unioned.recon_date = fx.rate_date

)
{%- endmacro %}

{#
    Snapshots on Spark without Delta/Iceberg/Hudi. dbt-spark's snapshot materialization refuses plain parquet
    tables because it ends in a `merge`, which parquet tables do not support. This one is dbt-spark's with that
    check lifted: the first run creates the table as usual, and a later run builds the merged history into a
    side table (snapshot_parquet_merged_sql: every current version closed where dbt's staging says it changed
    or was deleted, plus the new versions) and then overwrites the snapshot table with it. Delta, Iceberg and
    Hudi tables keep dbt-spark's merge.
#}
{% materialization snapshot, adapter='spark' %}

    {%- set target_table = model.get('alias', model.get('name')) -%}
    {%- set strategy_name = config.get('strategy') -%}
    {%- set file_format = config.get('file_format') or 'parquet' -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set supports_merge = file_format in ['delta', 'iceberg', 'hudi'] -%}

    {% set target_relation_exists, target_relation = get_or_create_relation(
        database=none,
        schema=model.schema,
        identifier=target_table,
        type='table'
    ) -%}

    {% if not adapter.check_schema_exists(model.database, model.schema) %}
        {% do create_schema(model.schema) %}
    {% endif %}

    {%- if not target_relation.is_table -%}
        {% do exceptions.relation_wrong_type(target_relation, 'table') %}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% set strategy_macro = strategy_dispatch(strategy_name) %}
    {% set strategy = strategy_macro(model, "snapshotted_data", "source_data", model['config'],
        target_relation_exists) %}

    {% if not target_relation_exists %}

        {% set build_sql = build_snapshot_table(strategy, model['compiled_code']) %}
        {% set final_sql = create_table_as(False, target_relation, build_sql) %}

    {% else %}

        {% set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() %}
        {{ adapter.valid_snapshot_target(target_relation, columns) }}

        {% set staging_table = spark_build_snapshot_staging_table(strategy, sql, target_relation) %}

        {% set missing_columns = adapter.get_missing_columns(staging_table, target_relation)
            | rejectattr('name', 'equalto', 'dbt_change_type')
            | rejectattr('name', 'equalto', 'DBT_CHANGE_TYPE')
            | rejectattr('name', 'equalto', 'dbt_unique_key')
            | rejectattr('name', 'equalto', 'DBT_UNIQUE_KEY')
            | list %}
        {% do create_columns(target_relation, missing_columns) %}

        {% if supports_merge %}

            {% set source_columns = adapter.get_columns_in_relation(staging_table)
                | rejectattr('name', 'equalto', 'dbt_change_type')
                | rejectattr('name', 'equalto', 'DBT_CHANGE_TYPE')
                | rejectattr('name', 'equalto', 'dbt_unique_key')
                | rejectattr('name', 'equalto', 'DBT_UNIQUE_KEY')
                | list %}
            {% set quoted_source_columns = [] %}
            {% for column in source_columns %}
                {% do quoted_source_columns.append(adapter.quote(column.name)) %}
            {% endfor %}
            {% set final_sql = snapshot_merge_sql(
                target=target_relation,
                source=staging_table,
                insert_cols=quoted_source_columns
            ) %}

        {% else %}

            {% set merged_relation = target_relation.incorporate(
                path={"identifier": target_table ~ '__dbt_merged'}
            ) %}
            {% do adapter.drop_relation(merged_relation) %}
            {% set target_columns = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list %}
            {% call statement('build_snapshot_merged_relation') %}
                {{ create_table_as(False, merged_relation,
                    snapshot_parquet_merged_sql(target_relation, staging_table, target_columns, columns)) }}
            {% endcall %}
            {% set final_sql %}
                insert overwrite table {{ target_relation }}
                select {{ target_columns | join(', ') }} from {{ merged_relation }}
            {% endset %}

        {% endif %}

    {% endif %}

    {% call statement('main') %}
        {{ final_sql }}
    {% endcall %}

    {% set should_revoke = should_revoke(target_relation_exists, full_refresh_mode) %}
    {% do apply_grants(target_relation, grant_config, should_revoke) %}
    {% do persist_docs(target_relation, model) %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}

    {% if staging_table is defined %}
        {% do post_snapshot(staging_table) %}
    {% endif %}
    {% if merged_relation is defined %}
        {% do adapter.drop_relation(merged_relation) %}
    {% endif %}

    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}

{#
    The whole snapshot history after this run, for a snapshot table that cannot be merged into: what dbt-spark's
    `merge` would leave (spark__snapshot_merge_sql), as a select. Current versions whose dbt_scd_id the staging
    relation marks `update` or `delete` get its dbt_valid_to; the staging relation's `insert` rows are added.
#}
{% macro snapshot_parquet_merged_sql(target_relation, staging_relation, target_columns, columns) -%}
    with

    closing as (

        select
            {{ columns.dbt_scd_id }} as closed_scd_id,
            max({{ columns.dbt_valid_to }}) as closed_valid_to
        from {{ staging_relation }}
        where dbt_change_type in ('update', 'delete')
        group by {{ columns.dbt_scd_id }}

    ),

    history as (

        select
            {%- for column in target_columns %}
                {%- if column | lower == columns.dbt_valid_to | lower %}
            case
                when
                    closing.closed_scd_id is not null
                    {%- if config.get('dbt_valid_to_current') %}
                    and (
                        snapshotted.{{ column }} = {{ config.get('dbt_valid_to_current') }}
                        or snapshotted.{{ column }} is null
                    )
                    {%- else %}
                    and snapshotted.{{ column }} is null
                    {%- endif %}
                    then closing.closed_valid_to
                else snapshotted.{{ column }}
            end as {{ column }}
                {%- else %}
            snapshotted.{{ column }}
                {%- endif %}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ target_relation }} as snapshotted
        left outer join closing
            on snapshotted.{{ columns.dbt_scd_id }} = closing.closed_scd_id

    ),

    new_versions as (

        select {{ target_columns | join(', ') }}
        from {{ staging_relation }}
        where dbt_change_type = 'insert'

    )

    select * from history
    union all
    select * from new_versions
{%- endmacro %}

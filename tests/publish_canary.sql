{#
    Fails only when var force_failing_test is true. It exists to prove that a failing test blocks
    publishing (tests/python/test_publish.py); it passes on every normal build.
#}
{{ config(tags=['publish_canary']) }}

select 1 as canary
where {{ 'true' if var('force_failing_test', false) else 'false' }}

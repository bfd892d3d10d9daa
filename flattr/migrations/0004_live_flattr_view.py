"""The live flattrs: the one view payday reads core's flattrs through (see ARCHITECTURE.md).

A flattr counts on payday unless its thing is closed to flattrs or banned (a hidden thing is
only unlisted and counts), its thing pays the donor's own account, or the donor or the
recipient is suspended or marked as fraud (accounts.moderation). Payday, its preview and the
dashboard all read this rule, so they agree to the cent; a flattr left out keeps its part of
the budget in the donor's wallet.
"""

from django.db import migrations

LIVE_FLATTR_VIEW = """
CREATE VIEW flattr_live_flattr AS
SELECT f.id AS flattr_id, f.donor_id, f.thing_id, f.month, f.created_at, t.payee_id
FROM flattr_flattr f
JOIN flattr_thing t ON t.id = f.thing_id
JOIN payments_ledgeraccount p ON p.id = t.payee_id
JOIN accounts_user d ON d.id = f.donor_id
LEFT JOIN accounts_user r ON r.id = p.user_id
WHERE NOT t.closed
  AND NOT t.banned
  AND p.user_id IS DISTINCT FROM f.donor_id
  AND d.suspended_at IS NULL AND d.mark <> 'fraud'
  AND (r.id IS NULL OR (r.suspended_at IS NULL AND r.mark <> 'fraud'));
"""


class Migration(migrations.Migration):
    dependencies = [
        ("flattr", "0003_merge_0002_data_export_and_search_0002_legacy_markup"),
        ("accounts", "0003_moderation"),
    ]

    operations = [
        migrations.RunSQL(LIVE_FLATTR_VIEW, "DROP VIEW IF EXISTS flattr_live_flattr;"),
    ]

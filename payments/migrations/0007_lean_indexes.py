"""Leaner payments_transfer and payments_share for payday's million-row appends (see the
comments on Transfer and Share): no foreign-key triggers on transfers (0008 checks their
references per statement); the key unique in the "C" collation without a pattern-ops index; the
account indexes carry the payday as a second column; BRIN indexes where rows only grow (created
at, payday); no share indexes that nothing reads (thing, payday B-tree)."""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('flattr', '0001_initial'),
        ('payments', '0006_payday_bulk_rows_without_fk_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='share',
            name='payday',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='share_rows', to='payments.payday'),
        ),
        migrations.AlterField(
            model_name='share',
            name='thing',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='shares', to='flattr.thing'),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='credit',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='credits', to='payments.ledgeraccount'),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='debit',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='debits', to='payments.ledgeraccount'),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='key',
            field=models.CharField(db_collation='C', max_length=200),
        ),
        migrations.AlterField(
            model_name='transfer',
            name='payday',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payments.payday'),
        ),
        migrations.AddIndex(
            model_name='share',
            index=django.contrib.postgres.indexes.BrinIndex(fields=['payday'], name='share_payday_brin'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(fields=['debit', 'payday'], name='transfer_debit_payday_idx'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(fields=['credit', 'payday'], name='transfer_credit_payday_idx'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=django.contrib.postgres.indexes.BrinIndex(fields=['created_at'], name='transfer_created_brin'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=django.contrib.postgres.indexes.BrinIndex(fields=['payday'], name='transfer_payday_brin'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.UniqueConstraint(fields=('key',), name='transfer_key_once'),
        ),
    ]

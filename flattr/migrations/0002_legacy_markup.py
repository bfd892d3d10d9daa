"""Flattr's `hidden` becomes "unlisted" (a separate `closed` refuses flattrs), titles made
from the address, and old Flattr ids (numeric uids, 2016 fids) mapped to users."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('flattr', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='thing',
            name='closed',
            field=models.BooleanField(db_default=False, default=False, verbose_name='closed to flattrs'),
        ),
        migrations.AddField(
            model_name='thing',
            name='title_from_url',
            field=models.BooleanField(db_default=False, default=False, verbose_name='title made from the address'),
        ),
        # Before this migration `hidden` also refused flattrs. Things without an owner (Twitter/X
        # accounts that opted out, handles not yet bound) relied on that: they become closed.
        # Owners' things keep `hidden` with Flattr's meaning (unlisted, still flattrable).
        migrations.RunSQL(
            "UPDATE flattr_thing SET closed = TRUE WHERE hidden AND owner_id IS NULL",
            reverse_sql="UPDATE flattr_thing SET hidden = TRUE WHERE closed",
        ),
        migrations.CreateModel(
            name='LegacyFlattrId',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('value', models.CharField(max_length=64, verbose_name='old id')),
                ('kind', models.CharField(choices=[('uid', 'numeric Flattr user id'), ('fid', 'Flattr id (2016 widget)')], default='uid', max_length=3, verbose_name='kind')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='how it was verified')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='legacy_flattr_ids', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'old Flattr id',
                'verbose_name_plural': 'old Flattr ids',
                'constraints': [models.UniqueConstraint(django.db.models.functions.text.Upper('value'), name='legacy_flattr_id_unique_ci')],
            },
        ),
    ]

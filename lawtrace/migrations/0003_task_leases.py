# A running task of the database queue holds a lease like the scheduler's duty does (lawtrace.leases): the lease
# names the task, and counts how often its workers died.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
        ('lawtrace', '0002_lease'),
    ]

    operations = [
        migrations.AddField(
            model_name='lease',
            name='task',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='lease', to='django_tasks_database.dbtaskresult', verbose_name='task'),
        ),
        migrations.AddField(
            model_name='lease',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='claimed at'),
        ),
        migrations.AddField(
            model_name='lease',
            name='renewed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='renewed at'),
        ),
        migrations.AddField(
            model_name='lease',
            name='takeovers',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='taken over from dead workers'),
        ),
        migrations.AlterField(
            model_name='lease',
            name='expires_at',
            field=models.DateTimeField(db_index=True, verbose_name='held until'),
        ),
    ]

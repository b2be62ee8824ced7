# Each history entry of an article records its byline: restoring a version restores its
# authors in order. Entries written before hold null (restoring them keeps the authors).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("articles", "0016_author_name_trigger")]

    operations = [
        migrations.AddField(
            model_name="historicalarticle",
            name="history_byline",
            field=models.JSONField(blank=True, default=None, null=True),
        ),
    ]

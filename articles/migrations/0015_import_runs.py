# Import runs that tell the truth: a heartbeat (a killed import shows as interrupted), the
# warnings and skipped records stored by code, and the fingerprint each article was
# imported with, which a curator's edit never changes (re-imports match on it).
from django.db import migrations, models

# Examples of each code kept on a run (articles.importer.REPORT_EXAMPLES at this time).
EXAMPLES = 20


def backfill_fingerprints(apps, schema_editor):
    # Every existing article is taken as imported as it is now: an edit made before this
    # migration is not known, and re-imports then match the edited text, as they did.
    schema_editor.execute(
        "UPDATE articles_article SET import_fingerprint = fingerprint "
        "WHERE import_fingerprint IS NULL"
    )


def split_reports(apps, schema_editor):
    """Older runs kept warnings and skipped records among their errors: move them to the
    report, by code, as the importer now stores them."""
    ImportRun = apps.get_model("articles", "ImportRun")
    for run in ImportRun.objects.exclude(errors=[]).iterator():
        errors, report, counts = [], {}, {"warning": 0, "skipped": 0}
        for error in run.errors or []:
            kind = error.get("kind", "error") if isinstance(error, dict) else "error"
            if kind not in counts:
                errors.append(error)
                continue
            counts[kind] += 1
            entry = report.setdefault(kind, {}).setdefault(
                error.get("code") or "", {"count": 0, "examples": []}
            )
            entry["count"] += 1
            if len(entry["examples"]) < EXAMPLES:
                message = str(error.get("message", ""))
                prefix = f"{kind}: "
                entry["examples"].append(
                    {
                        "path": error.get("path", ""),
                        "line": error.get("line"),
                        "message": message[len(prefix) :] if message.startswith(prefix) else message,
                    }
                )
        if report:
            run.errors, run.report = errors, report
            run.warnings, run.skipped = counts["warning"], counts["skipped"]
            run.save(update_fields=["errors", "report", "warnings", "skipped"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0014_canonical_neardup")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="import_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(backfill_fingerprints, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="article",
            constraint=models.UniqueConstraint(
                condition=models.Q(("import_fingerprint__isnull", False)),
                fields=("import_fingerprint",),
                name="article_import_fingerprint_unique",
            ),
        ),
        migrations.AddField(
            model_name="importrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importrun",
            name="report",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="importrun",
            name="skipped",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importrun",
            name="warnings",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(split_reports, migrations.RunPython.noop, elidable=True),
    ]

# The moved activity log gets the desk's own table and index names, and its content type moves
# from cabinet to desk, so its permissions (the marketer group's view permission) follow it.

from django.db import migrations


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    moved = ContentType.objects.filter(app_label="cabinet", model="deskactivity")
    if moved.exists():
        # A desk type made by an earlier post_migrate run holds no permissions anyone was given.
        ContentType.objects.filter(app_label="desk", model="deskactivity").delete()
        moved.update(app_label="desk")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="desk", model="deskactivity").update(app_label="cabinet")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("desk", "0001_deskactivity_from_cabinet"),
    ]

    operations = [
        migrations.RenameIndex(
            model_name="deskactivity",
            new_name="desk_deskac_user_id_c484b4_idx",
            old_name="cabinet_des_user_id_a44a14_idx",
        ),
        migrations.AlterModelTable(name="deskactivity", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]

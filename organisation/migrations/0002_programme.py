"""Programmes: the root of the organisation. Creates Guangzhou's programme (the default) and attaches every
existing bureau and unit to it; names become unique per programme."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import organisation.models

GUANGZHOU = {
    "code": "guangzhou",
    "name": "广州市督查激励",
    "government": "广州市人民政府",
    "level": "city",
    "general_office": "广州市人民政府办公厅",
    "bureau_prefix": "市",
    "place_name": "广州市",
    "issuer_mark": "广州市人民政府办公厅文件",
    "number_prefix": "穗府办",
    "addressees": "各区人民政府，市政府各部门、各直属机构",
    "copies_to": "市委各部门，市人大常委会办公厅，市政协办公厅，市纪委监委，广州警备区，市法院，市检察院，各人民团体。",
    "printing_office": "广州市人民政府办公厅秘书处",
    "bulletin_procedure": "经市有关部门推荐、市政府办公厅审核，并报市人民政府同意",
    "bulletin_closing": ("希望受到通报表扬的单位珍惜荣誉、再接再厉，在新的起点上取得更大成绩。各区、各部门要以受到督查激励的单位为榜样，"
                         "进一步强化责任担当，真抓实干、奋发有为，推动各项决策部署落地见效，为广州实现老城市新活力、“四个出新出彩”作出新的"
                         "更大贡献。"),
}


def guangzhou_attach(apps, schema_editor):
    Programme = apps.get_model("organisation", "Programme")
    programme = Programme.objects.filter(is_default=True).first()
    if programme is None:
        programme, _created = Programme.objects.get_or_create(code=GUANGZHOU["code"],
                                                              defaults={**GUANGZHOU, "is_default": True})
    apps.get_model("organisation", "Bureau").objects.filter(programme__isnull=True).update(programme=programme)
    apps.get_model("organisation", "Unit").objects.filter(programme__isnull=True).update(programme=programme)


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('organisation', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Programme',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(help_text='In URLs and commands, e.g. guangzhou', max_length=32, unique=True, verbose_name='code')),
                ('name', models.CharField(help_text='e.g. 广州市督查激励', max_length=64, verbose_name='name')),
                ('government', models.CharField(help_text='e.g. 广州市人民政府', max_length=64, verbose_name='government')),
                ('level', models.CharField(choices=[('national', 'National'), ('provincial', 'Provincial'), ('city', 'City'), ('district', 'District')], max_length=16, verbose_name='level')),
                ('general_office', models.CharField(help_text='e.g. 广州市人民政府办公厅', max_length=64, verbose_name='general office')),
                ('bureau_prefix', models.CharField(blank=True, help_text='市, 省 or 区; empty for ministries', max_length=4, verbose_name='prefix of its bureaus')),
                ('place_name', models.CharField(blank=True, help_text='e.g. 广州市', max_length=32, verbose_name='place name')),
                ('issuer_mark', models.CharField(help_text='e.g. 广州市人民政府办公厅文件', max_length=64, verbose_name='issuer mark')),
                ('number_prefix', models.CharField(help_text='e.g. 穗府办', max_length=16, verbose_name='document-number prefix')),
                ('addressees', models.CharField(max_length=255, verbose_name='addressees')),
                ('copies_to', models.TextField(blank=True, verbose_name='copies to')),
                ('printing_office', models.CharField(max_length=64, verbose_name='printing office')),
                ('bulletin_procedure', models.CharField(blank=True, help_text='How the result was reached, as the bulletin says it, e.g. 经市有关部门推荐、市政府办公厅审核，并报市人民政府同意', max_length=255, verbose_name="bulletin's procedure")),
                ('bulletin_closing', models.TextField(blank=True, verbose_name="bulletin's closing paragraph")),
                ('is_default', models.BooleanField(default=False, verbose_name='default')),
            ],
            options={
                'verbose_name': 'programme',
                'verbose_name_plural': 'programmes',
                'ordering': ['-is_default', 'code'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='unit',
            name='organisation_unit_unique_name',
        ),
        migrations.RemoveConstraint(
            model_name='unit',
            name='organisation_unit_unique_top_name',
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('programme.created', 'Programme created'), ('programme.changed', 'Programme changed'), ('programme.reviewers_changed', "Programme's reviewers changed"), ('catalogue.imported', 'Catalogue imported'), ('bureau.imported', 'Bureaus imported'), ('units.imported', 'Units imported'), ('user.imported', 'Accounts imported'), ('membership.added', 'Bureau membership added'), ('membership.removed', 'Bureau membership removed'), ('user.roles_changed', 'Roles changed'), ('responsibility.saved', 'Responsibility saved'), ('responsibility.removed', 'Responsibility removed'), ('category.cap_changed', "Category's cap changed"), ('cycle.opened', 'Cycle opened'), ('cycle.dates_changed', "Cycle's dates changed"), ('cycle.published', 'Cycle published'), ('cycle.reopened', 'Cycle reopened'), ('cycle.review_begun', 'Review begun'), ('cycle.notice_started', 'Put on public notice'), ('missing_list.acknowledged', 'Category without a list acknowledged'), ('objection.filed', 'Objection filed'), ('objection.dismissed', 'Objection dismissed'), ('objection.upheld', 'Objection upheld'), ('award.withdrawn', 'Award withdrawn'), ('extension.granted', 'Deadline extended'), ('nomination_list.created', 'Created'), ('nomination_list.saved', 'Edited'), ('nomination_list.submitted', 'Submitted'), ('nomination_list.resubmitted', 'Resubmitted'), ('nomination_list.withdrawn', 'Withdrawn'), ('nomination_list.returned', 'Returned for correction'), ('nomination_list.decided', 'Decided'), ('nomination_list.commented', 'Commented'), ('nominee.approved', 'Nominee approved'), ('nominee.rejected', 'Nominee not approved'), ('cap_exception.recorded', 'Exception to the cap recorded'), ('bulletin.requested', 'Bulletin requested'), ('bulletin.rendered', 'Bulletin rendered'), ('bulletin.failed', 'Bulletin rendering failed'), ('cycle.bulletin_number_changed', "Bulletin's document number changed"), ('message.retried', 'E-mail sent again'), ('account.signed_in', 'Signed in'), ('account.signed_out', 'Signed out'), ('account.session_expired', 'Session expired'), ('account.sign_in_failed', 'Sign-in failed'), ('account.locked_out', 'Locked out'), ('account.password_changed', 'Password changed'), ('account.password_set', 'Password set by an administrator'), ('account.otp_enrolled', 'Authenticator set up'), ('account.otp_verified', 'Second factor verified'), ('account.otp_failed', 'Second factor failed'), ('account.recovery_codes_generated', 'Recovery codes generated'), ('otp_device.deleted', 'Second-factor device deleted'), ('account.role_granted', 'Role granted'), ('account.role_revoked', 'Role withdrawn'), ('account.permissions_changed', 'Personal permissions changed'), ('role.permissions_changed', "Role's permissions changed"), ('account.object_permission_granted', 'Category right granted'), ('account.object_permission_revoked', 'Category right withdrawn'), ('audit.archived', 'Audit records archived'), ('audit.exported', 'Audit records exported'), ('account.invited', 'Invitation sent'), ('account.invitation_accepted', 'Password chosen from an invitation')], db_index=True, max_length=64, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='bureau',
            name='full_name',
            field=models.CharField(max_length=128, verbose_name='full name'),
        ),
        migrations.AlterField(
            model_name='bureau',
            name='short_name',
            field=models.CharField(help_text='As the notice writes it, e.g. 市水务局', max_length=64, verbose_name='short name'),
        ),
        migrations.AddField(
            model_name='programme',
            name='reviewers',
            field=models.ManyToManyField(blank=True, related_name='reviewed_programmes', to=settings.AUTH_USER_MODEL, verbose_name='reviewers'),
        ),
        migrations.AddField(
            model_name='bureau',
            name='programme',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bureaus', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.AddField(
            model_name='unit',
            name='programme',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='units', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.RunPython(guangzhou_attach, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='bureau',
            name='programme',
            field=models.ForeignKey(default=organisation.models.default_programme_id, on_delete=django.db.models.deletion.PROTECT, related_name='bureaus', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.AlterField(
            model_name='unit',
            name='programme',
            field=models.ForeignKey(default=organisation.models.default_programme_id, on_delete=django.db.models.deletion.PROTECT, related_name='units', to='organisation.programme', verbose_name='programme'),
        ),
        migrations.AddConstraint(
            model_name='bureau',
            constraint=models.UniqueConstraint(fields=('programme', 'short_name'), name='organisation_bureau_unique_short_name', violation_error_message='This programme already has a bureau with this short name.'),
        ),
        migrations.AddConstraint(
            model_name='bureau',
            constraint=models.UniqueConstraint(fields=('programme', 'full_name'), name='organisation_bureau_unique_full_name', violation_error_message='This programme already has a bureau with this full name.'),
        ),
        migrations.AddConstraint(
            model_name='unit',
            constraint=models.UniqueConstraint(fields=('programme', 'kind', 'name', 'parent'), name='organisation_unit_unique_name', violation_error_message='A unit of this kind with this name already exists here.'),
        ),
        migrations.AddConstraint(
            model_name='unit',
            constraint=models.UniqueConstraint(condition=models.Q(('parent__isnull', True)), fields=('programme', 'kind', 'name'), name='organisation_unit_unique_top_name', violation_error_message='A unit of this kind with this name already exists.'),
        ),
        migrations.AddConstraint(
            model_name='programme',
            constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='organisation_programme_one_default', violation_error_message='Only one programme is the default.'),
        ),
    ]

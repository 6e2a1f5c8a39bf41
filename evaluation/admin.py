from django.contrib import admin

from .models import EvaluationSettings, Expert
from .services import evaluation_settings_set, expert_save


@admin.register(EvaluationSettings)
class EvaluationSettingsAdmin(admin.ModelAdmin):
    """Whether a programme's public notice shows the ranking's figures beside each category's criteria; saved
    through ``evaluation_settings_set`` (audited)."""

    list_display = ("programme", "publish_figures")
    fields = ("programme", "publish_figures")

    def get_readonly_fields(self, request, obj=None):
        return ("programme",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        saved = evaluation_settings_set(actor=request.user, programme_id=obj.programme_id,
                                        publish_figures=obj.publish_figures)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    """The programme's pool of experts (专家库): name, field, organisation (and the unit of the register it is, if
    any: the expert is never drawn to score it), contact. The account is created first (the security administrator's
    page); saved through ``expert_save`` (audited), which gives a new expert's account the role ``expert``. An
    expert leaves the pool by being unticked, never deleted: past panels name them."""

    list_display = ("name", "field", "organisation", "programme", "is_active")
    list_filter = ("programme", "field", "is_active")
    search_fields = ("name", "field", "organisation")
    raw_id_fields = ("user", "unit")
    fields = ("programme", "user", "name", "field", "organisation", "unit", "contact", "is_active")

    def save_model(self, request, obj, form, change):
        expert_save(actor=request.user, expert=obj)

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin

from .models import EvaluationSettings
from .services import evaluation_settings_set


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

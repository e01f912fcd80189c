from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaterialsConfig(AppConfig):
    name = "lianfang.materials"
    label = "materials"
    verbose_name = _("Materials")

    def ready(self) -> None:
        from lianfang.core import extensions
        from lianfang.materials.selectors.todos import materials_todos

        # Transfers to approve, ship and receive, low stock and requests to cover, on every home page.
        extensions.todo_providers.register("materials", materials_todos)

from django.conf import settings


def platform(request):
    return {"region_name": settings.ENRS_REGION_NAME}

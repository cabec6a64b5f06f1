"""The ArUco dictionary of the corner markers, shared by printing (``forms.generate``) and
reading (``ocr.align``): reading must not import the PDF drawing code (reportlab, pypdf)."""

from __future__ import annotations

import cv2

ARUCO_DICT = cv2.aruco.DICT_4X4_50

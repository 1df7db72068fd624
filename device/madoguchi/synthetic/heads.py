"""Synthetic heads that turn, nod and blink, made from one face photo and the face mesh's own depth.

A photo is flat, so moving it shows no parallax; a head turning does. :class:`Head` lifts a photo
into 3-D with what the engine already runs: the face mesh gives 468 points and, for each, the
model's depth (z). Around the face a ring of hair points (behind the face oval) and a fixed frame
complete a triangulation. A pose (yaw, pitch, roll, blink) moves the points in 3-D about the neck,
projects them back, and the photo is warped piecewise-affinely, far triangles first so the near
cheek covers the far one. The nose then moves against the cheeks and ears as a real head's does,
which is what the planarity check looks for. A blink fades each eye's opening (inside the mesh's lid
margins) into a closed eye drawn once from the photo: the opening filled in from the lid skin around
it (OpenCV's inpainting) with a lash line where the lids meet.

What this cannot show: a real head's ears, hair and far cheek, hidden in the photo, appear when a
real head turns; here they are stretched from what the photo shows. The mesh's depth is the model's
guess, smoothed over faces; real faces differ more. Turns stay within about 30 degrees.

    head = Head.from_photo(rgb, engine)
    view, matte = head.render(Pose(yaw=20, blink=0.0))
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from madoguchi.errors import NoFaceFound
from madoguchi.pad.mesh import EYE_OPENINGS

# MediaPipe face mesh: the face oval, clockwise from the top of the forehead.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
CONTOUR_RIGHT, CONTOUR_LEFT = 234, 454  # the face's sides by the ears (image left, image right)
# Closed lids meet this far down from the upper margin to the lower: the upper lid comes down.
LID_MEET = 0.9
HAIR_SCALE = (1.22, 1.45)  # the hair ring beyond the oval: at the sides and the chin, at the crown
FRAME_POINTS = 8  # fixed points along each side of the image


@dataclass(frozen=True)
class Pose:
    """How the head is held. ``yaw`` is positive towards the visitor's left (the image's right),
    ``pitch`` positive chin up, ``roll`` positive clockwise in the image, all in degrees;
    ``blink`` 0 open to 1 closed."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    blink: float = 0.0


def _triangles(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Delaunay triangles over ``points`` (indices, (T, 3)), by OpenCV's subdivision."""
    w, h = size
    subdiv = cv2.Subdiv2D((-1, -1, w + 2, h + 2))
    index = {}
    for i, (x, y) in enumerate(points):
        key = (round(float(x), 3), round(float(y), 3))
        if key not in index:
            index[key] = i
            subdiv.insert((float(x), float(y)))
    found = []
    for tri in subdiv.getTriangleList():
        corners = [index.get((round(float(tri[k]), 3), round(float(tri[k + 1]), 3))) for k in (0, 2, 4)]
        if None not in corners:
            found.append(corners)
    return np.array(found, np.int64)


class Head:
    """A face photo with its mesh and depth, which :meth:`render` shows in any :class:`Pose`.

    :param rgb: the photo (H, W, 3 uint8), one face, with room around it for the hair.
    :param points: the face mesh in the photo (468, 2).
    :param depth: each mesh point's depth in the photo's pixels, larger farther (the model's z).
    """

    def __init__(self, rgb: np.ndarray, points: np.ndarray, depth: np.ndarray) -> None:
        self.rgb = rgb
        h, w = rgb.shape[:2]
        points = np.asarray(points, np.float64)
        depth = np.asarray(depth, np.float64)
        self.closed, self.eyes = _closed_eyes(rgb, points)
        oval = points[list(FACE_OVAL)]
        self.centre = oval.mean(axis=0)
        self.width = float(np.ptp(oval[:, 0]))
        # the neck's axis: behind the face, at the depth of its sides by the ears
        self.axis_depth = float(depth[[CONTOUR_RIGHT, CONTOUR_LEFT]].mean()) + 0.15 * self.width
        outward = oval - self.centre
        up = np.clip(-outward[:, 1] / np.maximum(np.linalg.norm(outward, axis=1), 1e-6), 0, 1)
        scale = HAIR_SCALE[0] + (HAIR_SCALE[1] - HAIR_SCALE[0]) * up
        hair = self.centre + outward * scale[:, None]
        hair_depth = depth[list(FACE_OVAL)] + 0.35 * self.width
        edge = np.linspace(0, 1, FRAME_POINTS, endpoint=False)
        frame = np.concatenate(
            [
                np.stack([edge * (w - 1), np.zeros_like(edge)], 1),
                np.stack([np.full_like(edge, w - 1), edge * (h - 1)], 1),
                np.stack([(1 - edge) * (w - 1), np.full_like(edge, h - 1)], 1),
                np.stack([np.zeros_like(edge), (1 - edge) * (h - 1)], 1),
            ]
        )
        self.points3d = np.column_stack(
            [np.concatenate([points, hair]), np.concatenate([depth, hair_depth])]
        )  # the parts that move with the head
        self.frame = frame
        self.source = np.concatenate([points, hair, frame])
        self.triangles = _triangles(self.source, (w, h))
        self.hair = slice(len(points), len(points) + len(hair))

    @classmethod
    def from_photo(cls, rgb: np.ndarray, engine: object) -> Head:
        """The largest face in ``rgb``, its mesh and depth from ``engine``'s detector and mesh."""
        detections = engine.detector.detect(rgb)  # type: ignore[attr-defined]
        if not detections:
            raise NoFaceFound("no face in the photo to make a head of")
        largest = max(detections, key=lambda d: float(d.box[3] - d.box[1]))
        landmarks = engine.mesh.locate(rgb, largest, depth=True)  # type: ignore[attr-defined]
        return cls(rgb, landmarks.points, landmarks.depth)

    def moved(self, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        """Where the head's points (mesh, then hair ring) fall in the photo in ``pose`` (N, 2), and
        their depths (N,)."""
        p = self.points3d
        origin = np.array([*self.centre, self.axis_depth])
        yaw, pitch, roll = np.radians([pose.yaw, pose.pitch, pose.roll])
        turn = np.array([[np.cos(yaw), 0, -np.sin(yaw)], [0, 1, 0], [np.sin(yaw), 0, np.cos(yaw)]])
        nod = np.array([[1, 0, 0], [0, np.cos(pitch), np.sin(pitch)], [0, -np.sin(pitch), np.cos(pitch)]])
        tilt = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
        rotated = (p - origin) @ (tilt @ nod @ turn).T + origin
        return rotated[:, :2], rotated[:, 2]

    def render(self, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        """The photo with the head in ``pose`` (H, W, 3 uint8) and the head-and-shoulders matte
        (H, W float32, 0-1) that cuts the person out of the photo's background."""
        h, w = self.rgb.shape[:2]
        points, depths = self.moved(pose)
        destination = np.concatenate([points, self.frame])
        depth = np.concatenate([depths, np.full(len(self.frame), depths.max() + 1)])
        order = np.argsort(-depth[self.triangles].mean(axis=1))  # far first: the near ones cover them
        labels = np.zeros((h, w), np.int32)
        for t in order:
            cv2.fillConvexPoly(labels, np.round(destination[self.triangles[t]]).astype(np.int32), int(t) + 1)
        inverse = _affines(destination, self.source, self.triangles)
        ys, xs = np.nonzero(labels)
        a = inverse[labels[ys, xs] - 1]
        map_x = np.tile(np.arange(w, dtype=np.float32), (h, 1))
        map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
        map_x[ys, xs] = a[:, 0, 0] * xs + a[:, 0, 1] * ys + a[:, 0, 2]
        map_y[ys, xs] = a[:, 1, 0] * xs + a[:, 1, 1] * ys + a[:, 1, 2]
        source = self.rgb
        if pose.blink > 0:
            shut = (self.eyes * min(1.0, pose.blink))[..., None]
            source = np.round(self.rgb * (1 - shut) + self.closed * shut).astype(np.uint8)
        view = cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return view, self._matte(destination, (w, h))

    def _matte(self, destination: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        w, h = size
        matte = np.zeros((h, w), np.float32)
        hair = destination[self.hair]
        cv2.fillPoly(matte, [np.round(cv2.convexHull(hair.astype(np.float32))).astype(np.int32)], 1.0)
        chin = destination[152]
        neck, shoulders = 0.32 * self.width, 1.25 * self.width
        body = np.array(
            [
                [chin[0] - neck, chin[1] - 0.2 * self.width],
                [chin[0] + neck, chin[1] - 0.2 * self.width],
                [chin[0] + neck * 1.1, chin[1] + 0.35 * self.width],
                [chin[0] + shoulders, chin[1] + 0.75 * self.width],
                [chin[0] + shoulders * 1.1, h + 10],
                [chin[0] - shoulders * 1.1, h + 10],
                [chin[0] - shoulders, chin[1] + 0.75 * self.width],
                [chin[0] - neck * 1.1, chin[1] + 0.35 * self.width],
            ]
        )
        cv2.fillPoly(matte, [np.round(body).astype(np.int32)], 1.0)
        return cv2.GaussianBlur(matte, (0, 0), max(1.0, 0.02 * self.width))


def _closed_eyes(rgb: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The photo with both eyes shut, and the soft mask (0-1) of where it differs from the photo."""
    closed = rgb.copy()
    mask = np.zeros(rgb.shape[:2], np.uint8)
    for outer, inner, upper, lower in EYE_OPENINGS:
        opening = points[[outer, *upper, inner, *lower[::-1]]]
        width = float(np.linalg.norm(points[outer] - points[inner]))
        one = np.zeros_like(mask)
        cv2.fillPoly(one, [np.round(opening).astype(np.int32)], 255)
        one = cv2.dilate(one, np.ones((3, 3), np.uint8), iterations=max(1, round(width / 15)))
        closed = cv2.inpaint(closed, one, max(3, round(width / 6)), cv2.INPAINT_TELEA)
        skin = np.median(closed[one > 0], axis=0)
        rim = [outer, *lower, inner]
        meet = points[rim] * LID_MEET + points[[outer, *upper, inner]] * (1 - LID_MEET)
        lash = tuple(int(v) for v in skin * 0.5)
        cv2.polylines(
            closed, [np.round(meet).astype(np.int32)], False, lash, max(1, round(width / 25)), cv2.LINE_AA
        )
        mask |= one
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 1.5)
    return closed, np.clip(soft * 1.5, 0, 1)


def _affines(source: np.ndarray, target: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Per triangle, the affine map (2x3) taking its corners in ``source`` onto those in ``target``."""
    s = source[triangles]  # (T, 3, 2)
    t = target[triangles]
    ones = np.ones((len(triangles), 3, 1))
    a = np.concatenate([s, ones], axis=2)  # (T, 3, 3)
    # solve a @ m = t for m (T, 3, 2); degenerate (collapsed) triangles get the least-squares answer
    m = np.linalg.pinv(a) @ t
    return np.transpose(m, (0, 2, 1))

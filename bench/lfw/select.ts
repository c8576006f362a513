/**
 * Which detected face is the LFW subject. LFW images were cut around the face that the original detector
 * found, so the labelled person is the central face; a larger bystander can appear near the border. The
 * evaluation picks the face with the highest `area - 2 * offset^2` (offset = distance from the box centre
 * to the image centre, in pixels), the rule FaceNet's `align_dataset_mtcnn.py` uses for LFW. Fixed a
 * priori, not tuned on any LFW view. The service itself embeds the largest face; the report gives both.
 */
export interface BoxLike {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function subjectScore(box: BoxLike, imageWidth: number, imageHeight: number): number {
  const dx = box.x + box.width / 2 - imageWidth / 2;
  const dy = box.y + box.height / 2 - imageHeight / 2;
  return box.width * box.height - 2 * (dx * dx + dy * dy);
}

/** Index of the subject face (0 when there is one face), or -1 when there are none. */
export function subjectIndex(faces: ReadonlyArray<{ box: BoxLike }>, imageWidth: number, imageHeight: number): number {
  let best = -1;
  let bestScore = -Infinity;
  faces.forEach((f, i) => {
    const s = subjectScore(f.box, imageWidth, imageHeight);
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  });
  return best;
}

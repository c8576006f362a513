/** Fragments shared by several pages. */
import { graphql } from '../gql';

export const StageTimingFields = graphql(`
  fragment StageTimingFields on StageTimings {
    decodeMs
    queueMs
    detectMs
    alignMs
    embedMs
    totalMs
  }
`);

export const ImageInfoFields = graphql(`
  fragment ImageInfoFields on ImageInfo {
    width
    height
    format
  }
`);

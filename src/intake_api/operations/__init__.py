"""Repatriation operations (`zhusan-2`, `rusafa`): the flights and transfers returnees came with."""

export * from './churn-features';
export * from './churn-truth';
export * from './churn-generator';
export * from './auc';
export * from './churn-manifest';
export * from './churn-training';
export * from './churn-model-package';
export * from './churn-demo-source';
